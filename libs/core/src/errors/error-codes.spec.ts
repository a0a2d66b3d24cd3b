import { ConflictError, NotFoundError } from './app-error';
import { defineErrorCodes, registeredErrorCodes, statusesOf } from './error-codes';

const SpecErrorCode = defineErrorCodes({
  SPEC_GONE: { status: 404 },
  SPEC_CLASH: { status: 409 },
});

class GoneError extends NotFoundError {
  readonly code = SpecErrorCode.SPEC_GONE;
  constructor() {
    super('It is gone');
  }
}

// What the compiler refuses (`npm run typecheck` fails if these lines compile).
class WrongCategoryError extends NotFoundError {
  // @ts-expect-error SPEC_CLASH is declared as a 409: a NotFoundError takes 404 codes only.
  readonly code = SpecErrorCode.SPEC_CLASH;
  constructor() {
    super('Filed under the wrong category');
  }
}

class UndeclaredCodeError extends ConflictError {
  // @ts-expect-error a string that no table declares is not an error code.
  readonly code = 'SPEC_UNDECLARED';
  constructor() {
    super('A code of its own');
  }
}

describe('error code tables', () => {
  it('give each code as its own name, and an error the status its code is declared with', () => {
    expect(SpecErrorCode.SPEC_GONE).toBe('SPEC_GONE');
    const error = new GoneError();
    expect([error.status, error.code]).toEqual([404, 'SPEC_GONE']);
  });

  it('decide the status, even for an error filed under another category', () => {
    expect(new WrongCategoryError().status).toBe(409);
    // Undeclared: no status is known, so it can only be a server error.
    expect(new UndeclaredCodeError().status).toBe(500);
  });

  it('register every code as the table loads', () => {
    expect(registeredErrorCodes()).toEqual(
      expect.arrayContaining([
        { code: 'SPEC_GONE', statuses: [404], authentication: false, restricted: false },
        { code: 'SPEC_CLASH', statuses: [409], authentication: false, restricted: false },
      ]),
    );
    expect(statusesOf('SPEC_CLASH')).toEqual([409]);
    expect(statusesOf('SPEC_NEVER_DECLARED')).toEqual([]);
  });

  it('refuse a code declared again with another status, and names that are not SCREAMING_SNAKE', () => {
    expect(() => defineErrorCodes({ SPEC_GONE: { status: 409 } })).toThrow(
      'Error code SPEC_GONE is declared twice, with different entries',
    );
    expect(() => defineErrorCodes({ specGone: { status: 404 } })).toThrow(
      'Error code specGone is not SCREAMING_SNAKE_CASE',
    );
  });
});
