// The official `openai` npm client driven against `ccodex serve` (run by
// tests/integration/test_serve_sdk.py). usage: node scenarios.mjs SCENARIO BASE_URL [BASE_URL_2]
// Prints one JSON object with what the client saw; an exception the scenario
// did not expect exits 1 with its message on stderr.
import OpenAI from "openai";

const [scenario, baseURL, baseURL2] = process.argv.slice(2);
// no retries: every scripted backend answer is consumed exactly once
const client = new OpenAI({ baseURL, apiKey: "sk-test", maxRetries: 0, timeout: 30000 });
const client2 = baseURL2 ? new OpenAI({ baseURL: baseURL2, apiKey: "sk-test", maxRetries: 0 }) : null;

const shellTool = {
  type: "function",
  name: "shell",
  description: "run a command",
  strict: false,
  parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
};

// the stream helper's final response has no output_text shortcut: join the
// message texts the way the SDK does for create()
const textOf = (r) =>
  r.output.filter((i) => i.type === "message").flatMap((i) => i.content)
    .filter((c) => c.type === "output_text").map((c) => c.text).join("");

async function typedError(promise) {
  try {
    await promise;
    return { raised: null };
  } catch (e) {
    return {
      raised: e.constructor.name,
      status: e.status ?? null,
      message: e.message,
      retryAfter: e.headers?.get ? e.headers.get("retry-after") : null,
      body: e.error ?? null,
    };
  }
}

const scenarios = {
  // streaming with for await: every event, in order
  async for_await() {
    const stream = await client.responses.create({ model: "m", input: "hi", stream: true });
    const events = [];
    for await (const ev of stream) events.push({ type: ev.type, seq: ev.sequence_number, delta: ev.delta });
    return { events };
  },
  // the stream() helper rebuilding the response from the events
  async helper_text() {
    const stream = client.responses.stream({ model: "m", input: "hi", instructions: "Be brief." });
    const deltas = [];
    stream.on("response.output_text.delta", (ev) => deltas.push(ev.snapshot));
    const r = await stream.finalResponse();
    return { output_text: textOf(r), status: r.status, deltas, usage: r.usage, output: r.output };
  },
  async helper_function() {
    const stream = client.responses.stream({ model: "m", input: "list files", tools: [shellTool] });
    const snapshots = [];
    stream.on("response.function_call_arguments.delta", (ev) => snapshots.push(ev.snapshot));
    const r = await stream.finalResponse();
    return { output: r.output, snapshots };
  },
  async helper_custom() {
    const tool = { type: "custom", name: "apply_patch", description: "edit files" };
    const stream = client.responses.stream({ model: "m", input: "patch it", tools: [tool] });
    const inputs = [];
    stream.on("response.custom_tool_call_input.delta", (ev) => inputs.push(ev.delta));
    const r = await stream.finalResponse();
    return { output: r.output, inputs };
  },
  async helper_reasoning() {
    const stream = client.responses.stream({ model: "m", input: "think", reasoning: { effort: "high" } });
    const r = await stream.finalResponse();
    return { output: r.output, output_text: textOf(r) };
  },
  // the SDK's default: no stream, one JSON Response
  async create() {
    const r = await client.responses.create({ model: "m", input: "hi", temperature: 0.2, max_output_tokens: 50 });
    const got = await client.responses.retrieve(r.id);
    return { id: r.id, object: r.object, output_text: r.output_text, status: r.status, retrieved: got.output_text };
  },
  async image() {
    const r = await client.responses.create({
      model: "m",
      input: [{ role: "user", content: [
        { type: "input_text", text: "what is this?" },
        { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" },
        { type: "input_image", image_url: "https://example.com/cat.png" },
      ] }],
    });
    return { output_text: r.output_text };
  },
  // a function call answered with previous_response_id; with a second base
  // URL the turns alternate between two servers
  async round_trip() {
    const second = client2 ?? client;
    const r1 = await client.responses.create({ model: "m", input: "list files", tools: [shellTool] });
    const call = r1.output.find((i) => i.type === "function_call");
    const r2 = await second.responses.create({
      model: "m",
      previous_response_id: r1.id,
      tools: [shellTool],
      input: [{ type: "function_call_output", call_id: call.call_id, output: "a.txt\nb.txt" }],
    });
    const r3 = await client.responses.create({ model: "m", previous_response_id: r2.id, input: "and now?" });
    const deleted = await second.responses.delete(r1.id);
    const gone = await typedError(client.responses.retrieve(r1.id));
    return { call, second: r2.output_text, third: r3.output_text, deleted: deleted ?? null, gone };
  },
  async errors() {
    const out = {};
    for (const name of ["not_found", "unauthorized", "rate_limited", "server_error"])
      out[name] = await typedError(client.responses.create({ model: name, input: "hi" }));
    out.stream_not_found = await typedError(client.responses.create({ model: "x", input: "hi", stream: true }));
    out.previous = await typedError(client.responses.create({ model: "m", input: "hi", previous_response_id: "resp_nope" }));
    out.retrieve = await typedError(client.responses.retrieve("resp_nope"));
    out.bad_input = await typedError(client.responses.create({
      model: "m", input: [{ role: "user", content: [{ type: "input_file", file_id: "file-1" }] }] }));
    return out;
  },
  // a backend that fails once the stream has begun: one response.failed
  async mid_stream_failure() {
    const stream = await client.responses.create({ model: "m", input: "hi", stream: true });
    const events = [];
    for await (const ev of stream) events.push(ev);
    return { types: events.map((e) => e.type), last: events[events.length - 1] };
  },
};

const run = scenarios[scenario];
if (!run) {
  console.error(`unknown scenario ${scenario}`);
  process.exit(2);
}
try {
  console.log(JSON.stringify(await run()));
} catch (e) {
  console.error(`${e.constructor.name}: ${e.message}\n${e.stack}`);
  process.exit(1);
}
