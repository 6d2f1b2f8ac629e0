/** A QR code drawn into a PDF as vector squares (the `qrcode` package encodes; nothing is rasterised). */
import QRCode from 'qrcode';

export function drawQr(
  doc: PDFKit.PDFDocument,
  text: string,
  at: { x: number; y: number; size: number },
): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  // Four modules of quiet zone around the symbol, inside the given square.
  const cell = at.size / (modules.size + 8);
  doc.save().fillColor('#000000');
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) doc.rect(at.x + (col + 4) * cell, at.y + (row + 4) * cell, cell, cell);
    }
  }
  doc.fill().restore();
}
