import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Quantity, QuantityError, parseQuantity, tryParseQuantity, formatQuantity, compareQuantities,
  addQuantities, quantityToMillis, quantityToBytes, QUANTITY_FORMAT_ERROR, QUANTITY_SUFFIX_ERROR,
} from './index';

test('canonical forms follow Kubernetes', () => {
  const cases: [string, string][] = [
    ['100m', '100m'], ['0.1', '100m'], ['1.5', '1500m'], ['1', '1'], ['1000', '1k'], ['1500', '1500'],
    ['1000m', '1'], ['1500000', '1500k'], ['128Mi', '128Mi'], ['1.5Gi', '1536Mi'], ['1Gi', '1Gi'],
    ['1024', '1024'], ['1024Ki', '1Mi'], ['0.5Ki', '512'], ['1G', '1G'], ['1.5G', '1500M'], ['1e3', '1e3'],
    ['1E3', '1e3'], ['1500e0', '1500'], ['1e-3', '1e-3'], ['2Ki', '2Ki'], ['0', '0'], ['0Mi', '0'],
    ['-100m', '-100m'], ['+5', '5'], ['1.', '1'], ['.5', '500m'], ['1n', '1n'], ['0.1n', '1n'],
    ['1E', '1E'], ['12e6', '12e6'], ['1Ei', '1Ei'], ['007', '7'], ['1.0', '1'],
  ];
  for (const [input, want] of cases) assert.equal(parseQuantity(input).toString(), want, input);
});

test('formats: suffix family is kept', () => {
  assert.equal(parseQuantity('1Ki').format, 'BinarySI');
  assert.equal(parseQuantity('1k').format, 'DecimalSI');
  assert.equal(parseQuantity('1e3').format, 'DecimalExponent');
  assert.equal(parseQuantity('0.5Ki').format, 'BinarySI');
  assert.equal(parseQuantity('0.0001Ki').format, 'DecimalSI');
});

test('numbers from JSON are quantities', () => {
  assert.equal(parseQuantity(2).toString(), '2');
  assert.equal(parseQuantity(0.5).toString(), '500m');
});

test('malformed quantities are rejected with the Kubernetes message', () => {
  for (const bad of ['', 'abc', '1.2.3', '1 Gi', ' 1', '1Gi ', '1KiB', '1kb']) {
    assert.throws(() => parseQuantity(bad), (e: unknown) => e instanceof QuantityError && e.message === QUANTITY_FORMAT_ERROR, bad);
  }
  for (const bad of ['1K', '1Mi5', '1Ee3', '--1']) {
    assert.throws(() => parseQuantity(bad), (e: unknown) => e instanceof QuantityError && e.message === QUANTITY_SUFFIX_ERROR, bad);
  }
  assert.throws(() => parseQuantity('Ki'), /unable to parse numeric part of quantity/);
  assert.throws(() => parseQuantity('-'), /unable to parse numeric part of quantity/);
  assert.throws(() => parseQuantity('1e99999'), /too large/);
  assert.equal(tryParseQuantity('x').error, QUANTITY_FORMAT_ERROR);
  assert.equal(tryParseQuantity({}).error, QUANTITY_FORMAT_ERROR);
  assert.equal(tryParseQuantity(null).error, QUANTITY_FORMAT_ERROR);
  assert.equal(tryParseQuantity('1Gi').quantity?.toString(), '1Gi');
});

test('values: millicores and bytes round up like Kubernetes', () => {
  assert.equal(quantityToMillis('100m'), 100);
  assert.equal(quantityToMillis('1.5'), 1500);
  assert.equal(quantityToMillis('2'), 2000);
  assert.equal(quantityToMillis('1n'), 1);
  assert.equal(quantityToMillis('0'), 0);
  assert.equal(quantityToBytes('128Mi'), 134217728);
  assert.equal(quantityToBytes('1G'), 1e9);
  assert.equal(quantityToBytes('2Ki'), 2048);
  assert.equal(quantityToBytes('1e3'), 1000);
  assert.equal(quantityToBytes('100m'), 1);
  assert.equal(quantityToBytes('1.5'), 2);
  assert.equal(parseQuantity('-1.5').value(), -2);
});

test('compare and add', () => {
  assert.equal(compareQuantities('1', '1000m'), 0);
  assert.equal(compareQuantities('1Gi', '1G'), 1);
  assert.equal(compareQuantities('500m', '1'), -1);
  assert.equal(addQuantities('100m', '900m').toString(), '1');
  assert.equal(addQuantities('1Gi', '512Mi').toString(), '1536Mi');
  assert.equal(addQuantities().toString(), '0');
  assert.equal(parseQuantity('1Gi').sub(parseQuantity('1Gi')).toString(), '0');
  assert.equal(Quantity.zero().add(parseQuantity('1Ki')).format, 'BinarySI');
  assert.equal(Quantity.fromMillis(250).toString(), '250m');
  assert.equal(Quantity.fromUnits(2048, 'BinarySI').toString(), '2Ki');
  assert.equal(formatQuantity('1.5Gi'), '1536Mi');
  assert.equal(JSON.stringify({ q: parseQuantity('0.1') }), '{"q":"100m"}');
});

test('binary values above int64 are capped as Kubernetes does', () => {
  assert.equal(parseQuantity('16Ei').valueBig(), (1n << 63n) - 1n);
});
