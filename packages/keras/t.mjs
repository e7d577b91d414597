import { readFileSync } from 'node:fs';
import { readKerasSource, translateTopology, DEFAULT_LIMITS, registerKerasLayers } from './dist/index.js';
import * as tfl from '@tensorflow/tfjs-layers';
import { ensureBackend } from '@modelbundle/tfjs';
await ensureBackend(); registerKerasLayers();
const s = readKerasSource(readFileSync('../../test/fixtures/keras/functional.keras'), DEFAULT_LIMITS);
const t = translateTopology(s.config, s.kerasVersion, DEFAULT_LIMITS);
const topo = JSON.parse(JSON.stringify(t.topology));
const inner = topo.config.layers.find(l => l.name === 'inner');
const variants = {
  asis: (x) => x,
  nobn: (x) => { x.config.layers = x.config.layers.filter(l => l.class_name !== 'BatchNormalization'); },
  bntrain: (x) => { x.config.layers[1].config.trainable = true; },
  nodtype: (x) => { for (const l of x.config.layers) delete l.config.dtype; },
};
for (const [k, f] of Object.entries(variants)) {
  const tp = JSON.parse(JSON.stringify(topo)); f(tp.config.layers.find(l => l.name === 'inner'));
  try { await tfl.models.modelFromJSON({ modelTopology: tp }); console.log(k, 'ok'); } catch (e) { console.log(k, e.message.slice(0, 100)); }
}
{
const tp = JSON.parse(JSON.stringify(topo));
const keep = ['a','b','da','db','add','inner'];
tp.config.layers = tp.config.layers.filter(l => keep.includes(l.name));
tp.config.output_layers = [['inner',0,0]];
try { await tfl.models.modelFromJSON({ modelTopology: tp }); console.log('small ok'); } catch (e) { console.log('small', e.message.slice(0, 100)); }
tp.config.layers = tp.config.layers.filter(l => l.name !== 'b' && l.name !== 'db');
tp.config.layers.find(l=>l.name==='add').inbound_nodes = [[['da',0,0,{}],['da',0,0,{}]]];
tp.config.input_layers = [['a',0,0]];
try { await tfl.models.modelFromJSON({ modelTopology: tp }); console.log('single ok'); } catch (e) { console.log('single', e.message.slice(0, 100)); }
console.log(JSON.stringify(tp.config.layers[0]));
}
