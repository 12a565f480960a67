// Jest's Node environment, with the host's typed arrays: native modules (ONNX Runtime)
// build their outputs with the host's Float32Array and check inputs against it, so a
// test's sandbox must share them (Node's Buffer already comes from the host).
import NodeEnvironment from "jest-environment-node";

const SHARED = ["ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"];

export default class HostTypedArraysEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}
