const ATTR: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

export function escapeAttr(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ATTR[c]!);
}

export function escapeText(value: string): string {
  return value.replace(/[&<>]/g, (c) => TEXT[c]!);
}
