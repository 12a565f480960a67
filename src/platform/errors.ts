// Typed errors, thrown anywhere and rendered by the one error middleware.
// `message` is shown to people, so it must say what happened and what to do.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    /** Sent with the message to a script that asked for JSON (`error.details`). */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequest extends HttpError {
  constructor(message = "The request could not be understood. Check what you entered and try again.") {
    super(400, message, "bad_request");
  }
}
export class Unauthorized extends HttpError {
  constructor(message = "Please sign in to continue.") {
    super(401, message, "unauthorized");
  }
}
export class Forbidden extends HttpError {
  constructor(message = "You do not have access to this page. If you think you should, ask your instructor.") {
    super(403, message, "forbidden");
  }
}
export class NotFound extends HttpError {
  constructor(message = "There is nothing at this address. Check the link, or go back to your course.") {
    super(404, message, "not_found");
  }
}
export class Conflict extends HttpError {
  constructor(message: string) {
    super(409, message, "conflict");
  }
}
export class TooManyRequests extends HttpError {
  constructor(message: string) {
    super(429, message, "too_many_requests");
  }
}
export class CsrfRejected extends HttpError {
  constructor() {
    super(
      403,
      "This form was out of date (it was opened before you last signed in, or in another browser). Reload the page and try again.",
      "csrf_rejected",
    );
  }
}
