/** The send-path crash test's kill points (its own module: importing the child would run it). */

/** Where the child dies, in the order a communication passes them. */
export const KILL_POINTS = [
  'before-render', // the render job is running, nothing saved
  'after-render', // rendered and saved, the job not completed
  'before-enqueue', // deliver-communication is running, no delivery row yet
  'after-enqueue', // the delivery row exists and the job is queued, the engine job not completed
  'during-data', // the SMTP server is reading the message (the parent kills)
  'after-accepted', // the SMTP server answered 250, nothing recorded: the one window for a repeat
  'after-recorded', // the delivery is recorded as sent, the result not yet published
  'after-result', // the result is published, the queue job not yet completed
] as const;
export type KillPoint = (typeof KILL_POINTS)[number];
