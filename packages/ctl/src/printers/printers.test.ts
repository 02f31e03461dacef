import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KUBECTL_TABWRITER, tabwrite } from './tabwriter';
import { toGoYaml, naturalSort } from './goyaml';
import { goJson, printJson } from './gojson';
import { jsonpath, relaxedJsonPath, sortByJsonPath } from './jsonpath';
import { formatLabels, printTable } from './table';

describe('tabwriter (Go text/tabwriter, kubectl settings)', () => {
  it('pads columns to the widest cell plus 3, minimum 6, last cell unpadded', () => {
    assert.equal(tabwrite('NAME\tREADY\tAGE\nweb-1\t0/1\t1s\n'), 'NAME    READY   AGE\nweb-1   0/1     1s\n');
    assert.equal(tabwrite('a\tb\n'), 'a     b\n');
    assert.equal(tabwrite('x\t\n'), 'x     \n');
  });
  it('aligns column blocks separately', () => {
    assert.equal(tabwrite('a\tb\nlonger\n\ncc\td\n'), 'a     b\nlonger\n\ncc    d\n');
  });
});

describe('go-yaml output', () => {
  it('quotes what would not read back as a string and folds long plain scalars', () => {
    const y = toGoYaml({
      long: 'aaaaaaa bbbbbbbbbbbb ccccccccccccccccc ddddddddddddddddd eeeeeeeeeeeeeeeeeeeee ffffffffffffffffff ggggggggggggggg hhhhhhhhhhhh',
      note: 'hello world: <b>&</b>', ts: '2026-11-22T00:25:46Z', rv: '8', t: 'true', y: 'yes', e: '', ml: 'a\nb\n', n: 0,
      arr: ['sleep', '3600'], o: {}, l: [], nul: null, base60: '1:20',
    });
    assert.equal(y, `arr:
- sleep
- "3600"
base60: "1:20"
e: ""
l: []
long: aaaaaaa bbbbbbbbbbbb ccccccccccccccccc ddddddddddddddddd eeeeeeeeeeeeeeeeeeeee
  ffffffffffffffffff ggggggggggggggg hhhhhhhhhhhh
ml: |
  a
  b
"n": 0
note: 'hello world: <b>&</b>'
nul: null
o: {}
rv: "8"
t: "true"
ts: "2026-11-22T00:25:46Z"
"y": "yes"
`);
  });
  it('nests sequences without indenting them under their key', () => {
    assert.equal(toGoYaml({ items: [{ a: 1, b: { c: [1, [2]] } }] }), 'items:\n- a: 1\n  b:\n    c:\n    - 1\n    - - 2\n');
  });
  it('sorts keys naturally, numbers by value', () => {
    assert.deepEqual(naturalSort(['a10', 'a9', 'b', 'A', 'a.b', 'a']), ['A', 'a', 'a.b', 'a9', 'a10', 'b']);
  });
});

describe('Go-style JSON', () => {
  it('sorts keys, escapes HTML characters, indents by 4', () => {
    assert.equal(goJson({ b: '<&>', a: [1, {}] }), '{"a":[1,{}],"b":"\\u003c\\u0026\\u003e"}');
    assert.equal(printJson({ a: [] }), '{\n    "a": []\n}\n');
  });
});

describe('jsonpath', () => {
  const list = { items: [{ metadata: { name: 'a', labels: { x: '1' } }, n: 1 }, { metadata: { name: 'b' }, n: 2 }] };
  it('prints fields, wildcards, ranges and literals', () => {
    assert.equal(jsonpath('{.items[*].metadata.name}', list), 'a b');
    assert.equal(jsonpath('{range .items[*]}{.metadata.name}{"\\t"}{.n}{"\\n"}{end}', list), 'a\t1\nb\t2\n');
    assert.equal(jsonpath('{.items[0].metadata.labels}', list), '{"x":"1"}');
    assert.equal(jsonpath('{.items[-1].metadata.name}', list), 'b');
    assert.equal(jsonpath('{.items[*].missing}', list), '');
    assert.equal(jsonpath('{.items[?(@.n==2)].metadata.name}', list), 'b');
    assert.equal(jsonpath("{.items[0].metadata.labels['x']}", list), '1');
    assert.equal(jsonpath('name: {..name}', list), 'name: a b');
  });
});

describe('table printer', () => {
  const cols = [{ name: 'Name' }, { name: 'Status' }, { name: 'IP', priority: 1 }];
  const rows = [{ cells: ['web', 'Running', '10.0.0.1'], object: { metadata: { namespace: 'ns1', labels: { b: '2', a: '1' } } } }];
  it('hides priority columns unless wide, adds NAMESPACE and LABELS', () => {
    assert.equal(printTable(cols, rows, {}), 'NAME   STATUS\nweb    Running\n');
    assert.equal(printTable(cols, rows, { wide: true, withNamespace: true, showLabels: true }),
      'NAMESPACE   NAME   STATUS    IP         LABELS\nns1         web    Running   10.0.0.1   a=1,b=2\n');
    assert.equal(printTable(cols, rows, { noHeaders: true, withKind: 'pod' }), 'pod/web   Running\n');
    assert.equal(formatLabels({}), '<none>');
  });
});

it('tabwriter remembered widths only grow across calls (kubectl get -w)', () => {
  const mem: number[] = [];
  assert.equal(tabwrite('NAME\tAGE\na\t1s\n', { ...KUBECTL_TABWRITER, remembered: mem }), 'NAME   AGE\na      1s\n');
  assert.equal(tabwrite('a-long-name\t2s\n', { ...KUBECTL_TABWRITER, remembered: mem }), 'a-long-name   2s\n');
  assert.equal(tabwrite('b\t3s\n', { ...KUBECTL_TABWRITER, remembered: mem }), 'b             3s\n');
});

it('sortByJsonPath: bytewise strings, numbers, missing first, undefined when no item has the field', () => {
  const items = [{ n: 'b9', r: 3 }, { n: 'b10', r: 1 }, { n: 'a' }];
  assert.deepEqual(sortByJsonPath(items, '.n', (o) => o)?.map((o) => o.n), ['a', 'b10', 'b9']);
  assert.deepEqual(sortByJsonPath(items, '{.r}', (o) => o)?.map((o) => o.n), ['a', 'b10', 'b9']);
  assert.equal(sortByJsonPath(items, 'x', (o) => o), undefined);
  assert.equal(relaxedJsonPath('metadata.name'), '{.metadata.name}');
});
