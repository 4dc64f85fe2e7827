// Drives a Codex-compatible binary through the official @openai/codex-sdk, as a user's script
// would, and prints one JSON line per turn: {finalResponse, items, usage} for run(), the event
// list for runStreamed(), or {error} when the SDK threw. The spec (argv[2], JSON) names the
// binary, the Codex options (baseUrl, apiKey, env, config), the thread options and the turns.
import { Codex } from "@openai/codex-sdk";

const spec = JSON.parse(process.argv[2]);
const codex = new Codex({
  codexPathOverride: spec.codexPath,
  baseUrl: spec.baseUrl,
  apiKey: spec.apiKey,
  env: spec.env,
  config: spec.config,
});
let thread = spec.resumeId
  ? codex.resumeThread(spec.resumeId, spec.threadOptions || {})
  : codex.startThread(spec.threadOptions || {});
for (const turn of spec.turns) {
  const out = {};
  try {
    const input = turn.images
      ? [{ type: "text", text: turn.input }, ...turn.images.map((p) => ({ type: "local_image", path: p }))]
      : turn.input;
    const opts = turn.outputSchema ? { outputSchema: turn.outputSchema } : {};
    if (turn.streamed) {
      const { events } = await thread.runStreamed(input, opts);
      out.events = [];
      for await (const ev of events) out.events.push(ev);
    } else {
      const r = await thread.run(input, opts);
      out.finalResponse = r.finalResponse;
      out.items = r.items;
      out.usage = r.usage;
    }
  } catch (e) {
    out.error = String(e && e.message ? e.message : e);
  }
  out.threadId = thread.id;
  process.stdout.write(JSON.stringify(out) + "\n");
}
