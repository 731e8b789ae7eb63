import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkSizer, sizeOf } from '../../src/struct/chunk-sizer.js';

describe('Class: ChunkSizer', () => {
  it('starts at the initial count', () => {
    assert.equal(new ChunkSizer(1000, 1 << 20).count(), 1000);
  });

  it('follows the average element size so a chunk stays near its byte budget', () => {
    // Prepare
    const sizer = new ChunkSizer(1000, 1 << 20);
    // Act: 1000 elements of 4 KiB seen
    sizer.observe(1000, 1000 * 4096);
    // Assess: 1 MiB / 4 KiB
    assert.equal(sizer.count(), 256);
  });

  it('counts a fixed cost per element, which dominates for tiny elements', () => {
    const sizer = new ChunkSizer(100, 1 << 20, 2048);
    sizer.observe(100, 100 * 8);
    assert.equal(sizer.count(), Math.floor((1 << 20) / (8 + 2048)));
  });

  it('stays between 1 and its maximum', () => {
    const huge = new ChunkSizer(10, 1024);
    huge.observe(1, 50 * 1024 * 1024);
    assert.equal(huge.count(), 1);
    const tiny = new ChunkSizer(10, 1 << 30, 0, 5000);
    tiny.observe(10, 10);
    assert.equal(tiny.count(), 5000);
  });
});

describe('Function: sizeOf', () => {
  it('adds up buffer lengths', () => {
    assert.equal(sizeOf([Buffer.alloc(3), Buffer.alloc(0), Buffer.alloc(5)]), 8);
  });
});
