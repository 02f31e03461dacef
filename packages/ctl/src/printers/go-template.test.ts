import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goSprintf, goTemplate, goV, GoTemplateError } from './go-template';

const pod = {
  kind: 'Pod', metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: { containers: [{ name: 'a', image: 'busybox', ports: [{ containerPort: 8080 }] }, { name: 'b', image: 'nginx' }], replicas: 1000000 },
  status: { phase: 'Running' },
};
const list = { apiVersion: 'v1', kind: 'List', items: [pod, { ...pod, metadata: { name: 'db' }, status: { phase: 'Pending' } }] };

test('fields, missing keys and Go %v formatting', () => {
  assert.equal(goTemplate('{{.metadata.name}}', pod), 'web');
  assert.equal(goTemplate('{{.metadata.nope}}', pod), '<no value>');
  assert.equal(goTemplate('{{.metadata.labels}}', pod), 'map[app:web tier:front]');
  assert.equal(goTemplate('{{.spec.replicas}} {{(index .spec.containers 0).ports}}', pod), '1e+06 [map[containerPort:8080]]');
  assert.equal(goTemplate('{{.metadata.nope.x}}', pod), '<no value>');
  assert.equal(goV(123456), '123456');
  assert.equal(goV(0.5), '0.5');
});

test('range, if/else if/else, variables, trimming', () => {
  assert.equal(goTemplate('{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}', list), 'web\ndb\n');
  assert.equal(goTemplate('{{range $i, $p := .items}}{{$i}}={{$p.metadata.name}} {{end}}', list), '0=web 1=db ');
  assert.equal(goTemplate('{{range .items}}{{if eq .status.phase "Running"}}R{{else if eq .status.phase "Pending"}}P{{else}}?{{end}}{{end}}', list), 'RP');
  assert.equal(goTemplate('{{range .metadata.labels}}{{.}},{{end}}', pod), 'web,front,');
  assert.equal(goTemplate('{{range .nope}}x{{else}}empty{{end}}', pod), 'empty');
  assert.equal(goTemplate('a  {{- .metadata.name -}}  b', pod), 'awebb');
  assert.equal(goTemplate('{{$n := .metadata.name}}{{with .spec}}{{$n}}/{{len .containers}}{{end}}', pod), 'web/2');
  assert.equal(goTemplate('{{/* comment */}}x', pod), 'x');
});

test('functions: index, len, printf, pipelines, not/and/or', () => {
  assert.equal(goTemplate('{{index .metadata.labels "app"}}', pod), 'web');
  assert.equal(goTemplate('{{len .items}}', list), '2');
  assert.equal(goTemplate('{{printf "%s:%v|%5s|%-4s|" .metadata.name .spec.replicas "a" "b"}}', pod), 'web:1e+06|    a|b   |');
  assert.equal(goTemplate('{{.metadata.name | printf "<%s>"}}', pod), '<web>');
  assert.equal(goTemplate('{{if and .metadata (not .nope)}}yes{{end}}', pod), 'yes');
  assert.equal(goSprintf('%d%%', [5]), '5%');
  assert.throws(() => goTemplate('{{nofunc .x}}', pod), /function "nofunc" not defined/);
  assert.throws(() => goTemplate('{{if .x}}', pod), GoTemplateError);
});
