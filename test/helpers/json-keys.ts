// What JSON.parse hides: a key written twice in one object (pino writes a child's binding again if a
// log call or a nested child repeats it, and a log shipper then keeps only one of the two).

/** The keys of a JSON object's top level, in order and with repeats (JSON.parse keeps only the last). */
export function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (depth === 1 && json[end + 1] === ':') keys.push(JSON.parse(json.slice(i, end + 1)) as string);
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}
