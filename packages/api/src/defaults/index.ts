export { applyDefaults, hasDefaults } from './apply-defaults';
export {
  defaultPod, defaultPodSpec, defaultPodTemplate, defaultContainer, defaultVolume, imageTag,
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, DEFAULT_SCHEDULER_NAME, DEFAULT_FILE_MODE, DEFAULT_TOLERATION_SECONDS,
} from './pod-defaults';
export {
  generateJobSelector, JOB_NAME_LABEL, LEGACY_JOB_NAME_LABEL, CONTROLLER_UID_LABEL, LEGACY_CONTROLLER_UID_LABEL,
} from './batch-defaults';
