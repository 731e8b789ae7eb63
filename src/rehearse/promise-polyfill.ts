// aws-local-stepfunctions 3 targets Node >= 22 and calls Promise.withResolvers in every Task;
// Node 20 (which redis-ferry supports) lacks it. Only the local run of the state machine loads this.
const P = Promise as unknown as { withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } };
P.withResolvers ??= <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
