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
    /** A machine-readable reason: e.g. timeout, authentication-failed, object-undefined, closed. */
    readonly reason: string,
  ) {
    super(message);
  }

  /** Connection-level failures (timeouts, closed links) end the session; data errors end one step only. */
  get fatal(): boolean {
    return this.phase !== 'data' || this.reason === 'timeout' || this.reason === 'closed';
  }
}
