import { Writable } from 'node:stream';
import { createLogger, scrubSecrets } from '../../src/reconciler/logger';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('logging', () => {
  it('redacts secret fields by name', () => {
    const { lines, logger } = capture();
    logger.info({ token: 'abc123', sink: { webhookUrl: 'https://example.test/hook', name: 'teams' }, headers: { authorization: 'Bearer abc' } }, 'sent');
    expect(lines.join('')).not.toMatch(/abc123|example\.test\/hook|Bearer abc/);
    expect(JSON.parse(lines[0]).sink.name).toBe('teams');
  });

  it('masks bearer tokens, JWTs and signed URLs inside messages and nested values', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const { lines, logger } = capture();
    logger.error({ error: { message: `request failed with Authorization: Bearer ${jwt}` } }, `POST https://prod.logic.azure.com/workflows/1/triggers/manual?sig=SECRETSIG failed`);
    const text = lines.join('');
    expect(text).not.toContain(jwt);
    expect(text).not.toContain('SECRETSIG');
    expect(text).toContain('[redacted]');
  });

  it('leaves ordinary text alone', () => {
    expect(scrubSecrets('callee payments-func: add 1 rule(s)')).toBe('callee payments-func: add 1 rule(s)');
  });
});
