package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** poolctl's status table, for a pool alone and for a cluster node's view. */
class StatusTableTest {

    private static JsonNode services(String json) throws Exception {
        return new ObjectMapper().readTree(json).path("services");
    }

    @Test
    void aPoolAloneHasNoNodeColumn() throws Exception {
        String table = StatusTable.render(services("""
                {"services": {"web": {"state": "RUNNING", "desired": 1, "instances": [
                  {"port": 8000, "pid": 41, "state": "HEALTHY", "restarts": 0, "uptime_ms": 3000, "health": null}]}}}"""));
        assertEquals(List.of("SERVICE  STATE        PORT  PID  INSTANCE  RESTARTS  UPTIME  PROBE",
                "web      RUNNING 1/1  8000  41   HEALTHY   0         3s      -"), table.lines().toList());
    }

    @Test
    void aClusterNodesStatusShowsEachInstancesNode() throws Exception {
        String table = StatusTable.render(services("""
                {"services": {
                  "web": {"state": "RUNNING", "desired": 2, "instances": [
                    {"port": 8000, "node": "10.0.0.1:25520", "host": "10.0.0.1", "pid": 41, "state": "HEALTHY", "restarts": 0,
                     "uptime_ms": 3000, "health": null},
                    {"port": 8000, "node": "10.0.0.2:25520", "host": "10.0.0.2", "pid": 52, "state": "HEALTHY", "restarts": 1,
                     "uptime_ms": 61000, "health": null}]},
                  "off": {"state": "DISABLED", "desired": 0, "instances": []}}}"""));
        assertEquals(List.of("SERVICE  STATE         NODE            PORT  PID  INSTANCE  RESTARTS  UPTIME  PROBE",
                "web      RUNNING 2/2   10.0.0.1:25520  8000  41   HEALTHY   0         3s      -",
                "web      RUNNING 2/2   10.0.0.2:25520  8000  52   HEALTHY   1         1m1s    -",
                "off      DISABLED 0/0  -               -     -    -         -         -       -"), table.lines().toList());
    }

    @Test
    void belowAClusterNodesTableItsNodesAndWhatTheClusterCouldNotPlace() throws Exception {
        JsonNode cluster = new ObjectMapper().readTree("""
                {"self": "10.0.0.2:25520", "nodes": ["10.0.0.1:25520", "10.0.0.2:25520"], "unplaced": {"web": 2},
                 "refused": {"auth": "its definition differs from the cluster's"}}""");
        assertEquals(List.of("", "cluster: 2 nodes: 10.0.0.1:25520, 10.0.0.2:25520 (this node)",
                "web: 2 instance(s) unplaced: no node up has a port free for them",
                "auth: this node runs none of it: its definition differs from the cluster's"), StatusTable.cluster(cluster).lines().toList());
        assertEquals("", StatusTable.cluster(new ObjectMapper().readTree("{}").path("cluster")), "a pool alone: nothing");
    }
}
