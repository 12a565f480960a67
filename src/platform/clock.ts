// The time, passed in: services take a clock so deadlines are testable without sleeping
// (the test app runs at a fixed TEST_NOW; production passes systemClock).
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
