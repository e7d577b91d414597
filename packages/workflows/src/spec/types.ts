/** What a workflow predicts: class labels and probabilities, or one number. */
export type Mode = 'classification' | 'regression';

/** Hyperparameters of a block: plain data only (numbers, strings, booleans, arrays, objects). */
export type BlockArgs = Record<string, unknown>;

/** One step of a sequential spec: a block from the block registry, repeated `repeat` times. */
export interface BlockStep {
  /** Name of a block builder (built-in, registered with `registerBlock`, or passed to `fit`). */
  block: string;
  /** How many times the block is stacked (default 1). */
  repeat?: number;
  /** Hyperparameters handed to the block builder. */
  args?: BlockArgs;
}

/** One node of a functional spec: a block applied to the outputs of other nodes. */
export interface GraphNode extends BlockStep {
  /** Names of the nodes this one reads; `input` is the preprocessed predictor matrix. */
  inputs: string[];
}

/** Optimizer by name (`adam`, `sgd`, `rmsprop`, `adagrad`, `adadelta`, `adamax`) with an optional learning rate. */
export interface OptimizerArgs {
  name: string;
  learningRate?: number;
}

/** Arguments of `model.compile`, as plain data. Defaults depend on the mode. */
export interface CompileArgs {
  /** Default `{ name: 'adam', learningRate: 0.01 }`. */
  optimizer?: string | OptimizerArgs;
  /** Default `categoricalCrossentropy` (classification) or `meanSquaredError` (regression). */
  loss?: string;
  /** Default `['accuracy']` (classification) or none (regression). */
  metrics?: string[];
}

/** Arguments of `model.fit`, as plain data. */
export interface FitArgs {
  /** Default 10. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Fraction of the last rows held out for validation (default 0). */
  validationSplit?: number;
  /**
   * Makes training repeatable: weights start from seeded initializers, dropout is
   * seeded, and rows are shuffled once with a seeded generator instead of every epoch.
   */
  seed?: number;
}

interface SpecCommon {
  mode: Mode;
  compile?: CompileArgs;
  fit?: FitArgs;
}

/** A stack of blocks. The input layer (from the data) and the output head (from the mode) are added by `fit`. */
export interface SequentialSpec extends SpecCommon {
  type: 'sequential';
  blocks: BlockStep[];
}

/** A named graph of blocks. `output` names the node the head is attached to. */
export interface FunctionalSpec extends SpecCommon {
  type: 'functional';
  nodes: Record<string, GraphNode>;
  output: string;
}

/** A model specification: plain data, so a fitted workflow holding it can be copied anywhere. */
export type ModelSpec = SequentialSpec | FunctionalSpec;

/** The name a functional node uses to read the predictors. */
export const INPUT_NODE = 'input';
