// ICAO 9303 chip data: parsers for EF.SOD, DG1, DG2, DG13 and CSCA master lists, the CSCA trust
// store and passive authentication. Parsers of chip bytes return Results and never throw.
export { type Certificate, parseCertificate } from './certificate.js';
export { parseDg1 } from './dg1.js';
export { type FaceImage, type FaceImageType, parseDg2 } from './dg2.js';
export { type Dg13, parseDg13, vietnameseDateToIso } from './dg13.js';
export { canDecodeJpeg2000 } from './image-support.js';
export { type MasterList, parseMasterList } from './master-list.js';
export { checkDigit, type Mrz, parseMrz } from './mrz.js';
export {
  type DataGroupStatus,
  type PassiveAuthFailure,
  type PassiveAuthInput,
  type PassiveAuthResult,
  passiveAuthenticate,
} from './passive-auth.js';
export { parseSod, type SecurityObject } from './sod.js';
export { buildTrustStore, forgetTrustStores, loadTrustStore, type TrustStore } from './trust-store.js';
