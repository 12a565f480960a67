// The HTTP server for the Express app, with its requests and responses made on the app's own
// prototypes from the start.
import http from "node:http";
import type { Express } from "express";

/** Whether Node's constructor is written as a plain function, not with `class` syntax (which cannot be called on an object made elsewhere). It is in Node 20 and 22; the tests would see a fallback (prototypes changed again). */
const callable = (f: unknown) => typeof f === "function" && !/^class\b/.test(Function.prototype.toString.call(f));

/**
 * Express gives each request and response its app's prototype (`app.request`, `app.response`) as
 * they enter the app: `Object.setPrototypeOf` on two objects at every request. Changing the prototype
 * of an object that exists is among the slowest things a JavaScript engine does, and here it also
 * kept each request's objects alive through V8's young-generation collections (a bare Express app
 * answering `res.json` under load: about 30% of what was allocated survived each collection, against
 * almost nothing without the change; it answered half as many requests per second).
 *
 * Node makes the request and response with the classes given to `http.createServer` (its
 * `IncomingMessage` and `ServerResponse` options). Made on the app's prototypes here, they already
 * have the prototype Express sets, and setting the same prototype again changes nothing
 * (expressjs/express#5998). They are Node's own objects, built by Node's own constructors.
 */
export function createHttpServer(app: Express): http.Server {
  // Should Node's constructors become classes (not callable this way), Express's way still works.
  if (!callable(http.IncomingMessage) || !callable(http.ServerResponse)) return http.createServer(app);
  const IncomingMessage = http.IncomingMessage as unknown as (this: unknown, socket: unknown) => void;
  const ServerResponse = http.ServerResponse as unknown as (this: unknown, req: unknown, options: unknown) => void;
  // Plain constructors, not `Reflect.construct` (which made requests slower still: measured).
  function Request(this: unknown, socket: unknown) {
    IncomingMessage.call(this, socket);
  }
  Request.prototype = app.request;
  function Response(this: unknown, req: unknown, options: unknown) {
    ServerResponse.call(this, req, options);
  }
  Response.prototype = app.response;
  return http.createServer({ IncomingMessage: Request as unknown as typeof http.IncomingMessage, ServerResponse: Response as unknown as typeof http.ServerResponse }, app);
}

/** `app.listen` (the same arguments, the server returned) on the server above. */
export function listenWithAppPrototypes(app: Express): Express["listen"] {
  return ((...args: unknown[]) => {
    const server = createHttpServer(app);
    // As Express's own listen: a callback given also hears a failure to listen, once, called on the server.
    const last = args.at(-1);
    if (typeof last === "function") {
      let called = false;
      const once = function (this: unknown, ...a: unknown[]) {
        if (called) return;
        called = true;
        (last as (...x: unknown[]) => void).apply(this, a);
      };
      args[args.length - 1] = once;
      server.once("error", once);
    }
    return server.listen(...(args as Parameters<http.Server["listen"]>));
  }) as Express["listen"];
}
