import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseLabelSelector, labelSelectorAsMatcher, labelSelectorMatches, labelSelectorToString, formatLabelSelector,
  selectorFromSet, LabelSelectorError, tryLabelSelectorAsMatcher,
} from './index';

test('equality and set-based requirements parse and match', () => {
  const s = parseLabelSelector('app=web,tier==front,env!=prod');
  assert.equal(s.matches({ app: 'web', tier: 'front' }), true);
  assert.equal(s.matches({ app: 'web', tier: 'front', env: 'prod' }), false);
  assert.equal(s.matches({ app: 'web' }), false);
  assert.equal(s.toString(), 'app=web,env!=prod,tier==front');

  const set = parseLabelSelector('env in (prod, qa),tier notin (back),release,!canary');
  assert.equal(set.matches({ env: 'qa', release: 'x' }), true);
  assert.equal(set.matches({ env: 'qa', release: 'x', tier: 'back' }), false);
  assert.equal(set.matches({ env: 'dev', release: 'x' }), false);
  assert.equal(set.matches({ env: 'qa' }), false);
  assert.equal(set.matches({ env: 'qa', release: '', canary: 'true' }), false);
  assert.equal(set.toString(), '!canary,env in (prod,qa),release,tier notin (back)');
});

test('in and notin are values inside parentheses, gt/lt compare integers', () => {
  assert.equal(parseLabelSelector('x in (in,notin)').matches({ x: 'notin' }), true);
  const gt = parseLabelSelector('n>5,m<3');
  assert.equal(gt.matches({ n: '6', m: '2' }), true);
  assert.equal(gt.matches({ n: '5', m: '2' }), false);
  assert.equal(gt.matches({ n: 'x', m: '2' }), false);
  assert.equal(gt.toString(), 'm<3,n>5');
});

test('empty selector matches everything; empty values', () => {
  assert.equal(parseLabelSelector('').isEmpty(), true);
  assert.equal(parseLabelSelector('   ').matches({}), true);
  assert.equal(parseLabelSelector('a=').matches({ a: '' }), true);
  assert.equal(parseLabelSelector('a in ()').matches({ a: '' }), true);
  assert.equal(parseLabelSelector('a in (,b)').toString(), 'a in (,b)');
});

test('bad selectors give the Kubernetes messages', () => {
  const cases: [string, string][] = [
    ['a in', "unable to parse requirement: found '' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a>x', "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"],
  ];
  for (const [input, msg] of cases) {
    assert.throws(() => parseLabelSelector(input), (e: unknown) => e instanceof LabelSelectorError && e.message === msg, `${input}: ${String((() => { try { parseLabelSelector(input); } catch (e) { return (e as Error).message; } return ''; })())}`);
  }
  assert.throws(() => parseLabelSelector('Foo_=x'), /^LabelSelectorError: unable to parse requirement: <nil>: Invalid value: "Foo_": name part must consist of alphanumeric characters/);
  assert.throws(() => parseLabelSelector('a=b c d'), LabelSelectorError);
  assert.throws(() => parseLabelSelector('a=-x-'), /values\[0\]\[a\]: Invalid value: "-x-": a valid label must be an empty string/);
});

test('LabelSelector objects convert, match and print like FormatLabelSelector', () => {
  const sel = {
    matchLabels: { app: 'web', tier: 'front' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['qa', 'prod'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'release', operator: 'Exists' },
      { key: 'zone', operator: 'NotIn', values: ['b'] },
    ],
  };
  assert.equal(labelSelectorToString(sel), 'app=web,!canary,env in (prod,qa),release,tier=front,zone notin (b)');
  assert.equal(labelSelectorMatches(sel, { app: 'web', tier: 'front', env: 'qa', release: '1' }), true);
  assert.equal(labelSelectorMatches(sel, { app: 'web', tier: 'front', env: 'qa', release: '1', zone: 'b' }), false);
  assert.equal(labelSelectorToString({ matchLabels: { app: 'nginx' } }), 'app=nginx');
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector(undefined), '<none>');
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' }] }), '<error>');
  assert.equal(labelSelectorAsMatcher(undefined).matches({}), false);
  assert.equal(labelSelectorAsMatcher({}).matches({ any: 'thing' }), true);
  assert.throws(() => labelSelectorAsMatcher({ matchExpressions: [{ key: 'a', operator: 'Bad' }] }), /"Bad" is not a valid label selector operator/);
  assert.throws(() => labelSelectorAsMatcher({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    /values: Invalid value: \[\]string\{\}: for 'in', 'notin' operators, values set can't be empty/);
  assert.equal(tryLabelSelectorAsMatcher('nonsense').error, 'invalid label selector: must be an object');
  assert.equal(labelSelectorMatches({ matchLabels: 'x' }, {}), false);
  assert.equal(labelSelectorMatches({ matchLabels: { a: 'b' } }, null), false);
});

test('selectorFromSet', () => {
  assert.equal(selectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
  assert.equal(selectorFromSet(undefined).isEmpty(), true);
  assert.equal(selectorFromSet({ a: '1' }).matches({ a: '1', c: '3' }), true);
});
