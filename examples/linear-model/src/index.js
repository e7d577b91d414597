export { fitLinearRegression, fitLogisticRegression } from './fit.js';
export { payloadV1toV2 } from './migrations.js';
export { LinearModel, sigmoid } from './model.js';
export { linearPredictor, linearPtype } from './predictor.js';
export { linearPlugin, linearSerializer, PACKAGE_NAME, PACKAGE_VERSION } from './serializer.js';
