export { corruptLargestSection, sectionOffsets } from './bytes.js';
export { expectCode, type SerializerConformanceOptions, testSerializer } from './conformance.js';
