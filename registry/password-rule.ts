/**
 * The password rule of BRIEF §4: 6–32 characters from printable ASCII (letters, digits, punctuation; no
 * spaces or control characters), not equal to the user name, and not one of the user's previous passwords.
 */
export const PASSWORD_MIN = 6;
export const PASSWORD_MAX = 32;
/** How many previous passwords a new one may not repeat (the current one included). */
export const PASSWORD_HISTORY = 5;

export type PasswordProblem = 'TOO_SHORT' | 'TOO_LONG' | 'BAD_CHARACTERS' | 'SAME_AS_USERNAME';

export function checkPasswordRule(password: string, username: string): PasswordProblem | null {
  if (password.length < PASSWORD_MIN) return 'TOO_SHORT';
  if (password.length > PASSWORD_MAX) return 'TOO_LONG';
  if (!/^[\x21-\x7e]+$/.test(password)) return 'BAD_CHARACTERS';
  if (password.toLowerCase() === username.toLowerCase()) return 'SAME_AS_USERNAME';
  return null;
}

export const passwordProblemText: Record<PasswordProblem | 'REUSED', string> = {
  TOO_SHORT: `password must have at least ${PASSWORD_MIN} characters`,
  TOO_LONG: `password must have at most ${PASSWORD_MAX} characters`,
  BAD_CHARACTERS: 'password may contain only Latin letters, digits and punctuation (no spaces)',
  SAME_AS_USERNAME: 'password must differ from the user name',
  REUSED: `password must differ from the last ${PASSWORD_HISTORY} passwords`,
};
