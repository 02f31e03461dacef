export { validateCreate, validateUpdate } from './validate';
export type { ValidationOptions } from './validate';
export type { ServiceValidationOptions } from './service';
export type { NetworkingValidationOptions } from './networking';
export {
  isDNS1123Label, isDNS1123Subdomain, isDNS1035Label, isQualifiedName, isValidLabelValue, isConfigMapKey, isEnvVarName,
  isValidPortName, isValidPortNum, isValidPercent, isValidPathSegmentName, isValidIP, isValidCIDR, regexError, maxLenError,
  nameIsDNSSubdomain, nameIsDNSLabel, nameIsDNS1035Label, nameIsPathSegment,
} from './name-rules';
export type { NameRule } from './name-rules';
export { parseCronSchedule, CronScheduleError, isKnownTimeZone } from './cron-schedule';
export type { CronSchedule } from './cron-schedule';
export { POD_UPDATE_FORBIDDEN } from './pod';
export { SELECTOR_MISMATCH } from './apps';
export { NODE_UPDATE_FORBIDDEN } from './cluster';
export { MAX_SECRET_SIZE } from './config';
export { SYSTEM_PRIORITY_CLASSES, HIGHEST_USER_DEFINABLE_PRIORITY, SYSTEM_PRIORITY_CLASS_PREFIX } from './scheduling';
