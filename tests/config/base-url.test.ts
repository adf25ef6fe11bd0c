/**
 * Links in messages reach this Herald: unless HERALD_BASE_URL says otherwise, the base URL is
 * the address Herald listens on (HOST:PORT), so changing PORT never leaves links at :3000.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.js';

describe('HERALD_BASE_URL', () => {
  it('defaults to the address Herald listens on', () => {
    expect(loadConfig({}).baseUrl).toBe('http://127.0.0.1:3000');
    expect(loadConfig({ PORT: '4100' }).baseUrl).toBe('http://127.0.0.1:4100');
    expect(loadConfig({ HOST: 'herald.internal', PORT: '8080' }).baseUrl).toBe('http://herald.internal:8080');
    // listening on every interface: links point at the loopback address, where it certainly answers
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '4100' }).baseUrl).toBe('http://127.0.0.1:4100');
    expect(loadConfig({ HOST: '::1', PORT: '4100' }).baseUrl).toBe('http://[::1]:4100');
  });

  it('takes a public URL when one is set, and refuses one that is not http(s)', () => {
    expect(loadConfig({ PORT: '4100', HERALD_BASE_URL: 'https://herald.example.com' }).baseUrl).toBe('https://herald.example.com');
    expect(() => loadConfig({ HERALD_BASE_URL: 'ftp://herald.example.com' })).toThrow(ConfigError);
  });
});
