// Distinguished names: a display string (forward order, "C=VN, O=..., CN=...", as CSCA lists and
// `openssl x509 -nameopt oneline` show them) and a normalised key for matching issuer to subject.
// Issuers re-encode names (PrintableString vs UTF8String, case, spacing) between a CSCA and the
// certificates it signs, so matching on raw bytes alone misses real chains.
import { children, oid, type Tlv, UNIVERSAL, value } from './der.js';
import { DN_ATTRIBUTE_NAMES } from './oids.js';

export interface DistinguishedName {
  text: string;
  /** Case- and space-insensitive key, equal for names that differ only in string encoding. */
  key: string;
}

function attributeText(tlv: Tlv): string {
  const v = value(tlv);
  switch (tlv.tag) {
    case UNIVERSAL.UTF8String:
      return v.toString('utf8');
    case UNIVERSAL.PrintableString:
    case UNIVERSAL.IA5String:
    case UNIVERSAL.T61String:
    case 0x1a: // VisibleString
      return v.toString('latin1');
    case UNIVERSAL.BMPString:
      return v.length % 2 === 0 ? Buffer.from(v).swap16().toString('utf16le') : '#' + v.toString('hex');
    default:
      return '#' + v.toString('hex');
  }
}

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
