export {
  LabelMatcher, LabelSelectorError, parseLabelSelector, labelSelectorAsMatcher, tryLabelSelectorAsMatcher,
  labelSelectorMatches, labelSelectorToString, formatLabelSelector, selectorFromSet, requirementMatches, requirementToString,
} from './label-selector';
export type { LabelRequirement, LabelSelectorOperator, Labels } from './label-selector';
export { FieldMatcher, FieldSelectorError, parseFieldSelector, escapeFieldValue, unescapeFieldValue } from './field-selector';
export type { FieldRequirement, FieldSelectorOperator } from './field-selector';
export { fieldsOf, supportedFieldLabels, convertFieldSelector, fieldSelectorMatcher } from './selectable-fields';
