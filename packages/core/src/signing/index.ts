export {
  exportPrivateKey,
  exportPublicKey,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  type KeyFormat,
  type KeyInput,
  keyFingerprint,
  type SigningKeyPair,
} from './keys.js';
export { type SignatureCheck, signBundle, unsignBundle, type VerifySignatureOptions, verifySignature } from './sign.js';
