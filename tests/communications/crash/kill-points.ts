/** The send-path crash test's kill points (its own module: importing the child would run it). */

/** Where the child dies, in the order a communication passes them. */
export const KILL_POINTS = [
  'before-render', // the render job is running, nothing saved
  'after-render', // rendered and saved, the job not completed
  'before-enqueue', // deliver-communication is running, no delivery row yet
  'after-enqueue', // the delivery row exists and the job is queued, the engine job not completed
  'during-data', // the SMTP server is reading the message (the parent kills)
  'after-accepted', // the SMTP server answered 250, nothing recorded: the one window for a repeat
  'after-recorded', // the database marked it sent, the result not yet published
  'after-result', // the result is published, the queue job not yet completed
  'after-completed', // the queue recorded the delivery job as completed
] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

/**
 * The five points issue 5 names ("before render, after render, after the SMTP server accepted,
 * after the database marked it sent, after the job completed"), 20 times each under CI.
 */
export const NAMED_POINTS: readonly KillPoint[] = ['before-render', 'after-render', 'after-accepted', 'after-recorded', 'after-completed'];
