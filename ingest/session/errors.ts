/**
 * Why a session step failed, in the words operators see in the exchange log. The phase tells what failed:
 * the link (connect), the association (associate) or one operation (data); `hes read` maps them to exit codes.
 */
export type SessionPhase = 'connect' | 'associate' | 'data';

export class SessionError extends Error {
  override readonly name = 'SessionError';
  constructor(
    readonly phase: SessionPhase,
    message: string,
    /**
     * A machine-readable reason: e.g. timeout, authentication-failed, object-undefined, closed; frame-check-failed
     * (answers refused by their frame check or deciphering) and frames-lost (a resent request refused after a lost answer).
     */
    readonly reason: string,
  ) {
    super(message);
  }

  /** Connection-level failures (timeouts, closed links) end the session; data errors end one step only. */
  get fatal(): boolean {
    return this.phase !== 'data' || ['timeout', 'closed', 'frame-check-failed', 'frames-lost', 'replayed-counter'].includes(this.reason);
  }
}
