// Object identifiers used by ICAO 9303 Part 10/12 and the CMS / X.509 structures around them.

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  ldsSecurityObject: '2.23.136.1.1.1',
  cscaMasterList: '2.23.136.1.1.2',
  attrContentType: '1.2.840.113549.1.9.3',
  attrMessageDigest: '1.2.840.113549.1.9.4',
  attrSigningTime: '1.2.840.113549.1.9.5',
  extSubjectKeyIdentifier: '2.5.29.14',
  extKeyUsage: '2.5.29.15',
  extBasicConstraints: '2.5.29.19',
  extAuthorityKeyIdentifier: '2.5.29.35',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export const HASH_BY_OID: Readonly<Record<string, HashName>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export const HASH_LENGTH: Readonly<Record<HashName, number>> = {
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

export type SignatureScheme = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa-der' | 'ecdsa-plain';

/**
 * Signature algorithm OIDs. `hash: null` means the OID names only the key type (rsaEncryption,
 * id-ecPublicKey, which some issuers put in SignerInfo.signatureAlgorithm): the hash then comes
 * from SignerInfo.digestAlgorithm. RSASSA-PSS takes its hash from its parameters.
 */
export const SIGNATURE_BY_OID: Readonly<Record<string, { scheme: SignatureScheme; hash: HashName | null }>> = {
  [OID.rsaEncryption]: { scheme: 'rsa-pkcs1', hash: null },
  '1.2.840.113549.1.1.5': { scheme: 'rsa-pkcs1', hash: 'sha1' },
  '1.2.840.113549.1.1.14': { scheme: 'rsa-pkcs1', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { scheme: 'rsa-pkcs1', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { scheme: 'rsa-pkcs1', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { scheme: 'rsa-pkcs1', hash: 'sha512' },
  [OID.rsassaPss]: { scheme: 'rsa-pss', hash: null },
  [OID.ecPublicKey]: { scheme: 'ecdsa-der', hash: null },
  '1.2.840.10045.4.1': { scheme: 'ecdsa-der', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { scheme: 'ecdsa-der', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { scheme: 'ecdsa-der', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { scheme: 'ecdsa-der', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { scheme: 'ecdsa-der', hash: 'sha512' },
  // BSI TR-03111 ecdsa-plain-signatures: r‖s concatenated instead of a DER SEQUENCE.
  '0.4.0.127.0.7.1.1.4.1.1': { scheme: 'ecdsa-plain', hash: 'sha1' },
  '0.4.0.127.0.7.1.1.4.1.2': { scheme: 'ecdsa-plain', hash: 'sha224' },
  '0.4.0.127.0.7.1.1.4.1.3': { scheme: 'ecdsa-plain', hash: 'sha256' },
  '0.4.0.127.0.7.1.1.4.1.4': { scheme: 'ecdsa-plain', hash: 'sha384' },
  '0.4.0.127.0.7.1.1.4.1.5': { scheme: 'ecdsa-plain', hash: 'sha512' },
};

/** Short names for distinguished-name attributes (RFC 4514 plus the ones CSCA certificates use). */
export const DN_ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};
