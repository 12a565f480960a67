// Why a model or a holdout cannot be scored, in words a student can act on.
export class ModelRefused extends Error {
  constructor(message: string, readonly code = "model_refused") {
    super(message);
    this.name = "ModelRefused";
  }
}

export class HoldoutRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HoldoutRefused";
  }
}
