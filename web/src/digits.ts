/** Arabic-Indic and Extended Arabic-Indic digits as ASCII digits, as people may type them. */
export const asciiDigits = (text: string) =>
  text.replace(/[\u0660-\u0669\u06F0-\u06F9]/g, (d) => String((d.codePointAt(0)! - 0x0660) % 0x90));
