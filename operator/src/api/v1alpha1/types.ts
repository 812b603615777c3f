import type { XmppClusterSpec, XmppClusterStatus } from './xmpp-cluster.schema.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string | Date;
  creationTimestamp?: string | Date;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
}

/** An XmppCluster as read from the API server (defaults applied by its schema). */
export interface XmppCluster {
  apiVersion: 'glider.im/v1alpha1';
  kind: 'XmppCluster';
  metadata: ObjectMeta;
  spec: XmppClusterSpec;
  status?: XmppClusterStatus;
}
