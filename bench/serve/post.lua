-- wrk script: every request is one streaming Responses request
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"bench","instructions":"x","stream":true,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"go"}]}]}'
