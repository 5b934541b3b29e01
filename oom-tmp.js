const { Client } = require('@elastic/elasticsearch');
const c = new Client({ node: 'http://127.0.0.1:9299', maxRetries: 0, compression: false });
const body = Buffer.alloc(1024*1024, 'a');
(async () => {
  for (const mode of ['bulkBody-string', 'body-buffer']) {
    for (let i = 0; i < 2; i++) {
      const params = mode === 'body-buffer' ? { method: 'POST', path: '/_bulk', body, } : { method: 'POST', path: '/_bulk', bulkBody: body.toString() };
      try { await c.transport.request(params, { maxRetries: 0, headers: { 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=8' } }); } catch (e) { }
      global.gc && global.gc();
      console.log(mode, 'heap MB', Math.round(process.memoryUsage().heapUsed/1048576));
    }
  }
})();
