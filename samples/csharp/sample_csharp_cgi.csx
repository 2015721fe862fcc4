#!/usr/bin/env dotnet-script
// csharp_cgi: a sample procpool service for dotnet-script (.NET 8 or later).
//
//   GET /?service=health  -> 200 {"status":"ok","service":"csharp_cgi","port":P}
//   GET /?service=NAME    -> 200 {"service":NAME,"dotnet":"8.0.x","pid":N,"requests":N,"port":P}
//   GET /?service= or /   -> 400, other paths -> 404, methods other than GET -> 405
//
// Run: dotnet script samples/csharp/sample_csharp_cgi.csx -- 8300
//      (or PORT=8300 dotnet script samples/csharp/sample_csharp_cgi.csx)
//
// It uses System.Net.HttpListener, which on Linux is a managed HTTP/1.1 server with keep-alive,
// on http://127.0.0.1:PORT/. The listener matches the Host header against that prefix, so
// clients must address it as 127.0.0.1 (not "localhost"). SIGTERM and SIGINT stop it, exit 0.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

string serviceName = "csharp_cgi";

// ---- the port: first argument, else $PORT ----
string portText = Args.Count > 0 ? Args[0] : Environment.GetEnvironmentVariable("PORT");
int port = 0;
if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port < 1 || port > 65535)
{
    if (!string.IsNullOrEmpty(portText)) Console.Error.WriteLine($"{serviceName}: not a port number: {portText}");
    Console.Error.WriteLine("usage: dotnet script sample_csharp_cgi.csx -- PORT   (or set the PORT environment variable)");
    Environment.Exit(2);
}

long requestCount = 0;

void Reply(HttpListenerResponse response, bool isHead, int status, object payload)
{
    byte[] body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(payload) + "\n");
    response.StatusCode = status;
    response.ContentType = "application/json";
    // A HEAD answer carries no body; declare none, so the listener does not wait for one.
    response.ContentLength64 = isHead ? 0 : body.Length;
    if (!isHead) response.OutputStream.Write(body, 0, body.Length);
    response.Close();   // ends this response; the connection stays open for keep-alive
}

void Handle(HttpListenerContext context)
{
    HttpListenerRequest request = context.Request;
    HttpListenerResponse response = context.Response;
    try
    {
        if (request.HttpMethod != "GET")
        {
            response.AddHeader("Allow", "GET");
            response.KeepAlive = false;   // the request body, if any, is not read
            Reply(response, request.HttpMethod == "HEAD", 405, new { error = "method not allowed", status = 405 });
            return;
        }
        if (request.Url.AbsolutePath != "/")
        {
            Reply(response, false, 404, new { error = "not found", status = 404 });
            return;
        }
        string service = request.QueryString["service"];
        if (string.IsNullOrEmpty(service))
            Reply(response, false, 400, new { error = "missing query parameter service", status = 400 });
        else if (service == "health")
            Reply(response, false, 200, new { status = "ok", service = serviceName, port = port });
        else
            Reply(response, false, 200, new
            {
                service = service,
                dotnet = Environment.Version.ToString(),
                pid = Environment.ProcessId,
                requests = Interlocked.Increment(ref requestCount),
                port = port,
            });
    }
    catch (Exception e) when (e is HttpListenerException || e is IOException || e is ObjectDisposedException)
    {
        response.Abort();   // the client went away mid-answer, or we are shutting down
    }
}

// ---- start listening ----
var listener = new HttpListener();
listener.Prefixes.Add($"http://127.0.0.1:{port}/");
try
{
    listener.Start();
}
catch (Exception e) when (e is HttpListenerException || e is System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"{serviceName}: cannot listen on 127.0.0.1:{port}: {e.Message}");
    Environment.Exit(1);
}

// ---- SIGTERM / SIGINT: stop the accept loop below, then exit 0 ----
var stopping = new CancellationTokenSource();
void OnSignal(PosixSignalContext signal)
{
    signal.Cancel = true;   // no default termination: the loop below ends and we exit 0 ourselves
    Console.WriteLine($"{serviceName}: {signal.Signal} received, shutting down");
    stopping.Cancel();
}
// Kept in variables for the whole run: a collected registration would stop handling signals.
PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
PosixSignalRegistration onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
stopping.Token.Register(() => listener.Stop());   // makes the pending GetContextAsync throw

Console.WriteLine($"{serviceName} listening on port {port}");
Console.Out.Flush();

// ---- accept loop: each request is answered on the thread pool ----
while (!stopping.IsCancellationRequested)
{
    HttpListenerContext context;
    try
    {
        context = await listener.GetContextAsync();
    }
    catch (Exception) when (stopping.IsCancellationRequested)
    {
        break;
    }
    catch (HttpListenerException e)
    {
        Console.Error.WriteLine($"{serviceName}: accept failed: {e.Message}");
        continue;
    }
    _ = Task.Run(() => Handle(context));
}

listener.Close();
onTerm.Dispose();
onInt.Dispose();
Console.Out.Flush();
Environment.Exit(0);
