// E-mail recipients (§18.9): 8 rows (rows.js); a test mail per saved row, with the mail
// server's answer in words.
import { $, pageData } from "../core.js";
import { fill } from "../forms.js";
import { onRowTest } from "../rows.js";

const texts = pageData.texts || {};

onRowTest($("#recipients-form"), "[data-test-mail]", texts, (result, data) => {
  if (result.ok) return { text: data.outcome, good: !!data.delivered };
  if (data.reason === "mail_off") return { text: texts.mail_off };
  if (data.reason === "not_saved") return { text: texts.not_saved };
  return { text: fill(texts.test_failed, { error: data.error || ("HTTP " + result.status) }) };
});
