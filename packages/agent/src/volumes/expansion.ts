/**
 * `$(VAR)` expansion as Kubernetes does it (third_party/forked/golang/expansion):
 * `$(NAME)` becomes the value when NAME is known and stays as written otherwise;
 * `$$` is a literal `$`; anything else passes through.
 */
export function expand(input: string, ...contexts: ReadonlyMap<string, string>[]): string {
  const mapping = (name: string): string => {
    for (const ctx of contexts) {
      const v = ctx.get(name);
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] === '$' && cursor + 1 < input.length) {
      out += input.slice(checkpoint, cursor);
      const { read, isVar, advance } = tryReadVariableName(input.slice(cursor + 1));
      out += isVar ? mapping(read) : read;
      cursor += advance;
      checkpoint = cursor + 1;
    }
  }
  return out + input.slice(checkpoint);
}

function tryReadVariableName(input: string): { read: string; isVar: boolean; advance: number } {
  const first = input[0];
  if (first === '$') return { read: '$', isVar: false, advance: 1 };
  if (first === '(') {
    for (let i = 1; i < input.length; i++) {
      if (input[i] === ')') return { read: input.slice(1, i), isVar: true, advance: i + 1 };
    }
    return { read: '$(', isVar: false, advance: 1 };
  }
  return { read: `$${first ?? ''}`, isVar: false, advance: 1 };
}
