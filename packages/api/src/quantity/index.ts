export {
  Quantity, QuantityError, parseQuantity, tryParseQuantity, isValidQuantity, formatQuantity,
  compareQuantities, addQuantities, quantityToMillis, quantityToBytes,
  QUANTITY_FORMAT_ERROR, QUANTITY_NUMERIC_ERROR, QUANTITY_SUFFIX_ERROR,
} from './quantity';
export type { QuantityFormat } from './quantity';
