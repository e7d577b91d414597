export { corruptLargestSection, sectionOffsets } from './bytes.js';
export {
  type ConformanceContext,
  type SerializerCapabilities,
  type SerializerConformanceOptions,
  testSerializer,
} from './conformance.js';
export { draft } from './draft.js';
export { expectCode, type Failing } from './expect-code.js';
