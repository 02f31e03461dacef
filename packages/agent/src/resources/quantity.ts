/**
 * The quantity arithmetic the agent needs (limits to cgroups, QoS, downward API), on top of
 * @skiff/api's exact Quantity: values rounded up like resource.Quantity.Value()/MilliValue().
 */
import { parseQuantity as parseExact, quantityToBytes, quantityToMillis, QuantityError } from '@skiff/api';

export { QuantityError };

/** The quantity as a float in base units (bytes, cores). */
export function parseQuantity(q: string | number): number {
  return parseExact(q).asApproximateFloat();
}

/** Value() of a Quantity: base units rounded up to an integer. */
export function quantityValue(q: string | number): number {
  return quantityToBytes(q);
}

/** MilliValue() of a Quantity: milli-units rounded up to an integer. */
export function quantityMilliValue(q: string | number): number {
  return quantityToMillis(q);
}
