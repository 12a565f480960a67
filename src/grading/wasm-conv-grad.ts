// The one kernel TF.js's WebAssembly backend lacks for training a CNN:
// Conv2DBackpropFilter (the gradient of a convolution with respect to its
// filter). Written as plain loops over contiguous Float32Arrays, it is about 20×
// faster than the pure-JS backend's version, so the reference CNN trains on the
// WebAssembly backend (fast forward passes) in minutes rather than hours.
import * as tf from "@tensorflow/tfjs";

interface WasmBackend {
  readSync(dataId: unknown): Float32Array;
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

let registered = false;

export function registerWasmConvGrad(): void {
  if (registered || tf.getKernel("Conv2DBackpropFilter", "wasm")) return;
  registered = true;
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
        strides: [number, number] | number; pad: "valid" | "same" | number; dataFormat: "NHWC" | "NCHW"; dimRoundingMode?: "floor" | "round" | "ceil"; filterShape: [number, number, number, number];
      };
      if (dataFormat === "NCHW") throw new Error("Conv2DBackpropFilter on wasm supports NHWC only");
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, "channelsLast");
      const b = backend as unknown as WasmBackend;
      const xv = b.readSync(x.dataId);
      const dyv = b.readSync(dy.dataId);
      const out = b.makeOutput(filterShape, "float32");
      const dw = b.typedArrayFromHeap(out);
      dw.fill(0);
      const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO, filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
      const top = info.padInfo.top;
      const left = info.padInfo.left;
      for (let n = 0; n < N; n++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            const dyOff = ((n * OH + oh) * OW + ow) * CO;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * SH - top + kh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * SW - left + kw;
                if (iw < 0 || iw >= W) continue;
                const xOff = ((n * H + ih) * W + iw) * CI;
                const wBase = (kh * KW + kw) * CI;
                for (let ci = 0; ci < CI; ci++) {
                  const v = xv[xOff + ci]!;
                  if (v === 0) continue;
                  const wOff = (wBase + ci) * CO;
                  for (let co = 0; co < CO; co++) dw[wOff + co]! += v * dyv[dyOff + co]!;
                }
              }
            }
          }
        }
      }
      return out;
    },
  });
}
