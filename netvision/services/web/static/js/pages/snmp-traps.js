// SNMP trap receivers (§18.8): 8 rows (rows.js); a test trap per saved row.
import { $, pageData } from "../core.js";
import { fill } from "../forms.js";
import { onRowTest } from "../rows.js";

const texts = pageData.texts || {};

onRowTest($("#traps-form"), "[data-test-trap]", texts, (result, data) => {
  if (result.ok) return { text: fill(texts.sent, { to: data.to }), good: true };
  if (data.reason === "snmp_off") return { text: texts.snmp_off };
  if (data.reason === "not_saved") return { text: texts.not_saved };
  return { text: fill(texts.error, { error: data.error || ("HTTP " + result.status) }) };
});
