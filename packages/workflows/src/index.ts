export { CAPTURE_FAILED_WARNING } from './capture.js';
export { type FitOptions, fit } from './fit.js';
export {
  type CaptureFailure,
  FITTED_KIND,
  FittedWorkflow,
  type FittedWorkflowData,
  isFittedWorkflow,
  readFitted,
  type TrainingHistory,
  workflowReplacer,
  workflowReviver,
} from './fitted.js';
export { disposeModel, liveModelOf, type RestoreOptions, restoreModel } from './live-model.js';
export { type PredictionRow, type PredictionType, type PredictOptions, predict } from './predict.js';
export { bakePredictors } from './recipe/bake.js';
export type { RecipeOptions } from './recipe/learn.js';
export type { NominalStep, NumericStep, OutcomeStep, PredictorStep, Ptype, PtypeColumn, RecipeState, UnseenLevelPolicy } from './recipe/types.js';
export { fittedWorkflowSerializer, WORKFLOW_SECTIONS, workflowPredictor, workflowsPlugin } from './serializer.js';
export { type BlockBuilder, type BlockContext, type Layer, listBlocks, registerBlock } from './spec/blocks.js';
export type { BlockArgs, BlockStep, CompileArgs, FitArgs, FunctionalSpec, GraphNode, Mode, ModelSpec, OptimizerArgs, SequentialSpec } from './spec/types.js';
export { INPUT_NODE } from './spec/types.js';
export { functionalSpec, sequentialSpec } from './spec/validate.js';
export { WORKFLOWS_VERSION } from './version.js';
