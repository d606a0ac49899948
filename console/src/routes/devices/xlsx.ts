/**
 * The first worksheet of an XLSX file as rows of cell texts, to show the uploaded values next to the bad
 * cells the API names. JSZip is loaded only when a file was refused, to keep the console's first load small.
 */
export async function readSheet(file: Blob): Promise<string[][]> {
  const { default: JSZip } = await import('jszip');
  const zip = await JSZip.loadAsync(await file.arrayBuffer());
  const parse = async (name: string) => {
    const text = await zip.file(name)?.async('text');
    return text ? new DOMParser().parseFromString(text, 'application/xml') : null;
  };
  const shared = [...((await parse('xl/sharedStrings.xml'))?.getElementsByTagName('si') ?? [])].map((si) => [...si.getElementsByTagName('t')].map((x) => x.textContent ?? '').join(''));
  const sheet = await parse('xl/worksheets/sheet1.xml');
  const rows: string[][] = [];
  for (const c of sheet ? [...sheet.getElementsByTagName('c')] : []) {
    const ref = /^([A-Z]+)(\d+)$/.exec(c.getAttribute('r') ?? '');
    if (!ref) continue;
    const column = [...ref[1]!].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
    const row = Number(ref[2]);
    const type = c.getAttribute('t');
    const raw = type === 'inlineStr' ? (c.getElementsByTagName('t')[0]?.textContent ?? '') : (c.getElementsByTagName('v')[0]?.textContent ?? '');
    (rows[row - 1] ??= [])[column - 1] = type === 's' ? (shared[Number(raw)] ?? '') : raw;
  }
  return rows;
}
