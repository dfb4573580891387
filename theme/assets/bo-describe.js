/* What an event of the timeline says, in one line of Vietnamese: the reason, the supplement
   list, the hand-over, the amount, the new date, the way the result went back. */
import { money, when } from "./bo-util.js";

export function describe(step, config) {
  const d = step.data || {},
    parts = [];
  if (d.items?.length) parts.push(`Cần bổ sung: ${d.items.join("; ")}`);
  if (d.to_unit) {
    const from = config.units[d.from_unit] || d.from_unit || "";
    parts.push(`${from ? `Từ ${from} ` : ""}chuyển đến ${config.units[d.to_unit] || d.to_unit}`);
  }
  if (typeof d.amount === "number") parts.push(`Số tiền: ${money(d.amount)}`);
  if (d.new_due_at) parts.push(`Hạn mới: ${when(d.new_due_at)} (trước đây ${when(d.old_due_at)})`);
  if (d.method) parts.push(config.return_methods[d.method] || d.method);
  if (d.address) parts.push(`Địa chỉ: ${d.address}`);
  if (d.uploads?.length) parts.push(`Đã nộp ${d.uploads.length} tệp bổ sung`);
  if (d.outcome && config.outcomes[d.outcome]) parts.push(`Kết quả: ${config.outcomes[d.outcome]}`);
  if (d.reason) parts.push(`Lý do: ${d.reason}`);
  if (d.note) parts.push(`Ghi chú: ${d.note}`);
  return parts.join(". ");
}
