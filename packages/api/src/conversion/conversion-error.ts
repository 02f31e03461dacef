/** A served-version object that cannot be converted to the storage version (the HTTP layer answers 400 naming the field). */
export class ConversionError extends Error {
  constructor(readonly field: string, readonly detail: string) {
    super(`${field}: ${detail}`);
    this.name = 'ConversionError';
  }
}
