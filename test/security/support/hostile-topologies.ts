import { type ErrorCode, encodeBundle } from '@modelbundle/core';
import { modelToBundle } from '@modelbundle/tfjs';
import * as tfl from '@tensorflow/tfjs-layers';
import { forgeBundle, sectionTable, takeApart } from './forge.js';

/**
 * tfjs bundles whose topology was edited after saving (digests recomputed, as
 * anyone can): each is a real model's bundle with one lie. Shared by the tfjs
 * tests, the regression vectors (scripts/write-topology-vectors.ts) and the fuzzer.
 */
export interface HostileTopology {
  /** Short file-name-safe id. */
  id: string;
  /** What the lie is and what it did before it was refused. */
  how: string;
  /** The code unbundling must refuse it with. */
  code: ErrorCode;
  model: () => tfl.LayersModel;
  edit: (topology: Topology) => void;
}

export type Topology = any;

/** The bundle of `model` with its topology document edited by `edit`. */
export async function forgedTopologyBundle(model: tfl.LayersModel, edit: (topology: Topology) => void): Promise<Uint8Array> {
  const { header, sections } = await takeApart(encodeBundle(await modelToBundle(model)));
  model.dispose();
  const payload = header.payload as { topology: string };
  const index = header.sections.findIndex((s) => s.name === payload.topology);
  const doc = JSON.parse(new TextDecoder().decode(sections[index]));
  edit(doc.modelTopology);
  sections[index] = new TextEncoder().encode(JSON.stringify(doc));
  const table = sectionTable(header.sections.map((s, i) => [s.name, sections[i] as Uint8Array] as const));
  return forgeBundle({ ...header, sections: table }, sections);
}

const INIT = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as const;

/** input x -> dense a -> dense b (functional). */
export function chain(): tfl.LayersModel {
  const x = tfl.input({ shape: [3], name: 'x' });
  const a = tfl.layers.dense({ units: 3, name: 'a' }).apply(x) as tfl.SymbolicTensor;
  const b = tfl.layers.dense({ units: 2, name: 'b' }).apply(a) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: b, name: 'chain' });
}

/** A model whose layer `name` exists: its config entry. */
export function layerOf(topology: Topology, name: string): Topology {
  const found = topology.config.layers.find((l: Topology) => l.name === name);
  if (!found) throw new Error(`no layer ${name}`);
  return found;
}

const sequentialOf =
  (...layers: tfl.layers.Layer[]) =>
  () =>
    tfl.sequential({ layers });
/** The config of the `i`-th layer of a sequential topology. */
const seq = (t: Topology, i: number) => t.config.layers[i].config;

export const HOSTILE_TOPOLOGIES: HostileTopology[] = [
  // Functional graphs: tfjs re-queues a call whose input never exists, forever.
  {
    id: 'graph-cycle',
    how: 'dense "a" is called on the output of dense "b", which is called on "a": a cycle; tfjs spun forever',
    code: 'MALFORMED',
    model: chain,
    edit: (t) => {
      layerOf(t, 'a').inbound_nodes = [[['b', 0, 0, {}]]];
    },
  },
  {
    id: 'graph-self-cycle',
    how: 'dense "a" is called on its own first output: tfjs spun forever',
    code: 'MALFORMED',
    model: chain,
    edit: (t) => {
      layerOf(t, 'a').inbound_nodes = [[['a', 0, 0, {}]]];
    },
  },
  {
    id: 'graph-dangling-node',
    how: 'dense "b" is called on node 7 of dense "a", which has one node: tfjs spun forever',
    code: 'MALFORMED',
    model: chain,
    edit: (t) => {
      layerOf(t, 'b').inbound_nodes = [[['a', 7, 0, {}]]];
    },
  },
  {
    id: 'graph-dangling-layer',
    how: 'dense "b" is called on a layer the model does not have: tfjs spun forever',
    code: 'MALFORMED',
    model: chain,
    edit: (t) => {
      layerOf(t, 'b').inbound_nodes = [[['nowhere', 0, 0, {}]]];
    },
  },
  {
    id: 'graph-dangling-output',
    how: 'the model output names node 3 of dense "b", which has one: tfjs crashed with a TypeError',
    code: 'MALFORMED',
    model: chain,
    edit: (t) => {
      t.config.output_layers = [['b', 3, 0]];
    },
  },
  {
    id: 'graph-bad-reference',
    how: 'a call reference that is not [name, node, tensor]',
    code: 'MALFORMED',
    model: chain,
    edit: (t) => {
      layerOf(t, 'b').inbound_nodes = [[['a', -1, 'x']]];
    },
  },
  // Stateful recurrent layers: zero states of batch x state size are allocated while building.
  {
    id: 'stateful-cell-units',
    how: 'a stateful RNN whose units sit only in its LSTMCell config (the layer-level copy removed), batch 10^7: the old cap read layer-level units only and let 8 x 10^7 state values through',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(tfl.layers.rnn({ cell: tfl.layers.lstmCell({ units: 4, ...INIT }), stateful: true, batchInputShape: [2, 3, 2] })),
    edit: (t) => {
      seq(t, 0).batch_input_shape = [10_000_000, 3, 2];
      delete seq(t, 0).units;
    },
  },
  {
    id: 'stateful-stacked-cells',
    how: 'a stateful RNN over two stacked GRU cells, batch 10^7',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(
      tfl.layers.rnn({
        cell: [tfl.layers.gruCell({ units: 2, ...INIT }), tfl.layers.gruCell({ units: 2, ...INIT })],
        stateful: true,
        batchInputShape: [2, 3, 2],
      }),
    ),
    edit: (t) => {
      seq(t, 0).batch_input_shape = [10_000_000, 3, 2];
    },
  },
  {
    id: 'stateful-convlstm-spatial',
    how: 'a stateful ConvLSTM2D whose input says 4000 x 4000 pixels (batch 2, 2 filters): its two states are 2 x 4000 x 4000 x 2 each, 1 GiB, with a 300-byte kernel',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(tfl.layers.convLstm2d({ filters: 2, kernelSize: 1, stateful: true, batchInputShape: [2, 2, 4, 4, 1], ...INIT })),
    edit: (t) => {
      seq(t, 0).batch_input_shape = [2, 2, 4000, 4000, 1];
    },
  },
  // Weightless layers that grow their output: nothing in the weights bounds them.
  {
    id: 'grow-repeat-vector',
    how: 'RepeatVector n = 3 x 10^8 after a 2-unit Dense: one row asked for 6 x 10^8 values (8.5 GiB)',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(tfl.layers.dense({ units: 2, inputShape: [4] }), tfl.layers.repeatVector({ n: 3 })),
    edit: (t) => {
      seq(t, 1).n = 300_000_000;
    },
  },
  {
    id: 'grow-upsampling2d',
    how: 'UpSampling2D of size 100000 x 100000 on a 4 x 4 image: 1.6 x 10^11 values per row',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(tfl.layers.upSampling2d({ size: [2, 2], inputShape: [4, 4, 1] })),
    edit: (t) => {
      seq(t, 0).size = [100_000, 100_000];
    },
  },
  {
    id: 'grow-zero-padding2d',
    how: 'ZeroPadding2D of 50000 on each side of a 4 x 4 image: 10^10 values per row',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(tfl.layers.zeroPadding2d({ padding: 1, inputShape: [4, 4, 1] })),
    edit: (t) => {
      seq(t, 0).padding = [
        [50_000, 50_000],
        [50_000, 50_000],
      ];
    },
  },
  {
    id: 'grow-conv2d-transpose-strides',
    how: 'Conv2DTranspose with strides 100000 on a 4 x 4 image: 1.6 x 10^11 values per row from a 4-value kernel',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 2, inputShape: [4, 4, 1], kernelInitializer: 'zeros' })),
    edit: (t) => {
      seq(t, 0).strides = [100_000, 100_000];
    },
  },
  {
    id: 'grow-time-distributed-repeat',
    how: 'a TimeDistributed RepeatVector of n = 10^8: every step of every row grows',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(tfl.layers.timeDistributed({ layer: tfl.layers.repeatVector({ n: 2 }), inputShape: [3, 4] })),
    edit: (t) => {
      seq(t, 0).layer.config.n = 100_000_000;
    },
  },
  {
    id: 'grow-resizing',
    how: 'Resizing to 200000 x 200000 pixels: 4 x 10^10 values per row, no weights',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(tfl.layers.resizing({ height: 2, width: 2, inputShape: [4, 4, 1] })),
    edit: (t) => {
      seq(t, 0).height = 200_000;
      seq(t, 0).width = 200_000;
    },
  },
  {
    id: 'grow-category-encoding',
    how: 'CategoryEncoding with num_tokens = 10^9: one-hot rows of 10^9 values, no weights',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(tfl.layers.categoryEncoding({ numTokens: 4, outputMode: 'multiHot', inputShape: [2] })),
    edit: (t) => {
      seq(t, 0).num_tokens = 1_000_000_000;
    },
  },
  {
    id: 'grow-conv3d-transpose-strides',
    how: 'Conv3DTranspose with strides 2000 on a 2 x 2 x 2 volume: 6.4 x 10^10 values per row from an 8-value kernel',
    code: 'LIMIT_EXCEEDED',
    model: sequentialOf(tfl.layers.conv3dTranspose({ filters: 1, kernelSize: 2, inputShape: [2, 2, 2, 1], kernelInitializer: 'zeros' })),
    edit: (t) => {
      seq(t, 0).strides = [2000, 2000, 2000];
    },
  },
];
