/** A numeric predictor: centered and scaled; missing values (null) filled before scaling. */
export interface NumericStep {
  name: string;
  type: 'numeric';
  mean: number;
  /** Standard deviation (1 when the column is constant). */
  sd: number;
  /** The value (in the column's units) that replaces a missing one: its training mean or median. */
  fill: number;
}

/** A nominal predictor: one-hot encoded over the levels seen at fit time, in sorted order. */
export interface NominalStep {
  name: string;
  type: 'nominal';
  levels: string[];
}

export type PredictorStep = NumericStep | NominalStep;

/** The outcome: class levels in order (classification) or centering and scaling undone at predict time (regression). */
export type OutcomeStep = { name: string; type: 'nominal'; levels: string[] } | { name: string; type: 'numeric'; mean: number; sd: number };

/** What to do with a nominal value not seen at fit time: encode it as all zeros, or reject the row. */
export type UnseenLevelPolicy = 'zero' | 'error';

/** A fitted preprocessing recipe: plain data, learned from the training rows. */
export interface RecipeState {
  predictors: PredictorStep[];
  /** Names of the model's input columns after encoding, in order (`name` or `name_level`). */
  features: string[];
  impute: 'mean' | 'median';
  unseenLevels: UnseenLevelPolicy;
  outcome: OutcomeStep;
  /** Training rows used, and rows dropped because their outcome was missing. */
  rows: number;
  dropped: number;
}

/** The input prototype: the columns `predict` expects, with their types. */
export interface Ptype {
  columns: PtypeColumn[];
  /** What is predicted: the outcome column and, for classification, its levels in order. */
  outcome: { name: string; type: 'number' | 'string'; levels?: string[] };
}

/** One input column. `null` (or undefined) always means a missing value. */
export interface PtypeColumn {
  name: string;
  type: 'number' | 'string';
  /** Levels seen at fit time (string columns). */
  levels?: string[];
}
