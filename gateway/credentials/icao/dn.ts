// Distinguished names: a display string (forward order, "C=VN, O=..., CN=...", as CSCA lists and
// `openssl x509 -nameopt oneline` show them) and a normalised key for matching issuer to subject.
// Issuers re-encode names (PrintableString vs UTF8String, case, spacing) between a CSCA and the
// certificates it signs, so matching on raw bytes alone misses real chains.
import { children, oid, stringValue, type Tlv, value } from './der.js';
import { DN_ATTRIBUTE_NAMES } from './oids.js';

export interface DistinguishedName {
  text: string;
  /** Case- and space-insensitive key, equal for names that differ only in string encoding. */
  key: string;
}

/** Unknown encodings keep their bytes, as OpenSSL shows them, so two names still compare. */
const attributeText = (tlv: Tlv): string => stringValue(tlv) ?? `#${value(tlv).toString('hex')}`;

export function readName(tlv: Tlv): DistinguishedName {
  const parts: string[] = [];
  const keyParts: string[] = [];
  for (const rdn of children(tlv)) {
    for (const atv of children(rdn)) {
      const [typeTlv, valueTlv] = children(atv);
      const type = oid(typeTlv);
      const text = valueTlv ? attributeText(valueTlv) : '';
      parts.push(`${DN_ATTRIBUTE_NAMES[type] ?? type}=${text}`);
      keyParts.push(`${type}=${text.trim().replace(/\s+/g, ' ').toLowerCase()}`);
    }
  }
  return { text: parts.join(', '), key: keyParts.join('/') };
}
